"""The eval suite: known answers over the samples, a CI gate, reports, and public benchmarks by path."""
