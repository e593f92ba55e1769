// /api/docs: Swagger UI over the API's OpenAPI document, whose URL the page gives in
// data-spec-url (no inline script under the CSP).
document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    deepLinking: true,
    // No calls to swagger.io's validator badge: everything stays on this origin.
    validatorUrl: null,
    persistAuthorization: false,
    tryItOutEnabled: false,
  });
});
