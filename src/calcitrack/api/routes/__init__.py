"""One module per resource; each exposes ``router``. Routes stay thin: validate, authorise, call the
service layer or a registry function, audit, shape the JSON."""
