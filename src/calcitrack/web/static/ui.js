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
