// Small progressive enhancements; everything works without JavaScript.
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el.matches && el.matches("select[data-autosubmit]")) el.form.requestSubmit();
});

// Forms marked data-swap-errors show the server's refusal in place (a 409 conflict, a 413 file too large...),
// not only the 422/429 answers that htmx swaps everywhere.
document.addEventListener("htmx:beforeSwap", (event) => {
  const status = event.detail.xhr.status;
  if (status >= 400 && status < 500 && event.detail.elt.closest && event.detail.elt.closest("[data-swap-errors]")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
