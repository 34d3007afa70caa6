// Entry point: wires the chat, the article side and the source viewer.

import { installChat } from "./chat.js";
import { installLibrary } from "./library.js";
import { installSourceDialog } from "./render.js";

// A file dropped outside the drop zone must not replace the page with that file.
for (const name of ["dragover", "drop"]) {
  window.addEventListener(name, (e) => e.preventDefault());
}

installSourceDialog();
installChat();
installLibrary();
document.getElementById("question").focus();
