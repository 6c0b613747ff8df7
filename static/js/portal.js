// The portal's few behaviours, as listeners (the Content-Security-Policy allows no inline
// handlers): selects that submit their form, buttons that copy a secret shown once.
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-autosubmit]");
  if (select && select.form) select.form.submit();
});

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  navigator.clipboard.writeText(source.textContent).then(() => {
    button.textContent = button.dataset.done;
  });
});
