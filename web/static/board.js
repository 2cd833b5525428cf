// The envelope left, as the coordinator types the amounts of the lines they accept.
// Only an improvement: without it the page shows what is left before the decisions.
const cents = (text) => {
  const clean = String(text).replace(/[\s\u00a0\u202f€]/g, "").replace(",", ".");
  if (!/^\d+(\.\d{1,2})?$/.test(clean)) return 0;
  const [units, part = ""] = clean.split(".");
  return Number(units) * 100 + Number(part.padEnd(2, "0"));
};
const euros = (value) => (value / 100).toLocaleString("fr-FR", { style: "currency", currency: "EUR" });
const form = document.getElementById("decisions");
const update = () => {
  for (const output of document.querySelectorAll("#enveloppes output")) {
    let left = cents(output.dataset.remaining);
    for (const line of form.querySelectorAll(`fieldset[data-pool="${CSS.escape(output.dataset.pool)}"]`)) {
      const decision = line.querySelector("select[name^='decision-']");
      const amount = line.querySelector("input[name^='amount-']");
      if (decision && amount && decision.value === "accept") left -= cents(amount.value);
    }
    output.textContent = euros(left);
  }
};
if (form) {
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
}
