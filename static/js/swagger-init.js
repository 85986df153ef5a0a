// Start Swagger UI on the element that names the document; validatorUrl null keeps it off the network.
(function () {
  var element = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: element.getAttribute("data-spec-url"),
    domNode: element,
    validatorUrl: null,
    deepLinking: true,
    persistAuthorization: false,
  });
})();
