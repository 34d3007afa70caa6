"""The browser page: plain HTML, CSS and JavaScript shipped inside the package (no CDN, no build step)."""
