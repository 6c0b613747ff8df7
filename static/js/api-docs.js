// Swagger UI (/api/docs/): authorise "Try it out" with the signed-in member's sandbox key,
// given by the page as JSON (#sandbox-key), once the schema has loaded. ``ui`` is the
// Swagger UI instance made by drf-spectacular's start-up script, which runs just before.
"use strict";
(function () {
  const source = document.getElementById("sandbox-key");
  if (!source || typeof ui === "undefined") return;
  const key = JSON.parse(source.textContent);
  let tries = 50;
  const authorise = () => {
    const schemes = ui.specSelectors.securityDefinitions();
    if (schemes && schemes.get("ApiKey")) {
      ui.preauthorizeApiKey("ApiKey", "Api-Key " + key);
    } else if (tries-- > 0) {
      setTimeout(authorise, 200);
    }
  };
  authorise();
})();
