// Starts Swagger UI on /api/docs. A file of its own, not an inline script: the page is served
// under the console's Content-Security-Policy (script-src 'self', nothing inline).
"use strict";

const root = document.getElementById("swagger-ui");
window.ui = SwaggerUIBundle({
  url: root.dataset.openapiUrl,
  domNode: root,
  deepLinking: true,
  // The default validator would load a badge from validator.swagger.io: no other origin, ever.
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
