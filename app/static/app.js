// Small progressive enhancements; everything works without JavaScript.
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el.matches && el.matches("select[data-autosubmit]")) el.form.requestSubmit();
});
