// Progressive enhancement only: copy the radiologist sentence, print one patient letter, link a lesion's mentions.
document.addEventListener("click", function (event) {
  var button = event.target.closest("button[data-copy], button[data-print]");
  if (!button) return;
  if (button.dataset.copy) {
    var text = document.getElementById(button.dataset.copy).textContent.trim();
    var done = function () { button.textContent = button.dataset.copied || "Copied"; };
    if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(text).then(done); }
    else {
      var area = document.createElement("textarea"); area.value = text; document.body.appendChild(area);
      area.select(); document.execCommand("copy"); area.remove(); done();
    }
  } else {
    var target = document.getElementById(button.dataset.print);
    document.querySelectorAll(".printing").forEach(function (el) { el.classList.remove("printing"); });
    target.classList.add("printing"); document.body.dataset.print = button.dataset.print;
    window.print();
  }
});
// One lesion, several mentions: pointing at a lesion block or at one of its mentions outlines them all.
function linkLesion(event, on) {
  var source = event.target.closest && event.target.closest("[data-lesion]");
  if (!source || !source.dataset.lesion) return;
  document.querySelectorAll("[data-lesion='" + source.dataset.lesion + "']").forEach(function (el) {
    el.classList.toggle("linked", on);
  });
}
["mouseover", "focusin"].forEach(function (name) { document.addEventListener(name, function (e) { linkLesion(e, true); }); });
["mouseout", "focusout"].forEach(function (name) { document.addEventListener(name, function (e) { linkLesion(e, false); }); });
// Switching EN/FR on the analyse page keeps what was typed, chosen and answered: instead of following the
// bare ?lang= link (a GET that would empty the form), the page is posted again in the other language, with
// the report text, language, policy and every answer; the server analyses it again and answers in that
// language. With nothing typed yet, or without JavaScript, the plain link is followed.
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest(".langs a[hreflang]");
  var main = document.getElementById("analyse-form");
  if (!link || !main) return;
  var text = main.querySelector("[name=text]"), example = main.querySelector("[name=example]");
  var file = main.querySelector("[name=file]");
  if (!((text && text.value.trim()) || (example && example.value) || (file && file.files && file.files.length))) return;
  event.preventDefault();
  var form = main, answers = document.getElementById("context-form");
  if (answers) {  // the answers form carries text, language and policy as hidden fields: bring them up to date
    ["text", "lang", "policy"].forEach(function (name) {
      var from = main.querySelector("[name=" + name + "]");
      var to = answers.querySelector("input[type=hidden][name=" + name + "]");
      if (from && to) to.value = from.value;
    });
    form = answers;
  }
  form.action = "/ui/analyse?lang=" + encodeURIComponent(link.getAttribute("hreflang"));
  form.submit();
});
