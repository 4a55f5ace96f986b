// Upload page: drag-and-drop onto the drop zone, and a size check before sending.
(function () {
  "use strict";
  const form = document.getElementById("upload-form");
  if (!form) return;
  const input = document.getElementById("id_file");
  const zone = document.getElementById("dropzone");
  const nameOut = document.getElementById("dropzone-name");
  const problem = document.getElementById("client-error");
  const maxBytes = Number(form.dataset.maxBytes);

  function check() {
    const file = input.files && input.files[0];
    nameOut.textContent = file ? file.name : "";
    problem.hidden = true;
    if (file && maxBytes && file.size > maxBytes) {
      problem.textContent = "“" + file.name + "” is larger than " + form.dataset.maxSize +
        ", the most that can be uploaded. Split it into smaller files, or save it as CSV.";
      problem.hidden = false;
      return false;
    }
    return true;
  }

  input.addEventListener("change", check);
  form.addEventListener("submit", function (event) {
    if (!check()) event.preventDefault();
  });
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      event.preventDefault();
      zone.classList.add("dragging");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function () { zone.classList.remove("dragging"); });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      check();
    }
  });
})();
