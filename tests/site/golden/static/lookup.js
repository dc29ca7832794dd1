/* Credit-code lookup: jump to entities/<code>/ when the code is in the site's index.
   A code is read as people type it: full-width characters (ＡＢ１２) are folded by NFKC, spaces
   and hyphens dropped, letters upper-cased; the field has no pattern, so the browser's own
   validation never blocks such input. Without JavaScript the form opens the plain entity list. */
(function () {
  "use strict";
  var forms = document.querySelectorAll("form.lookup");
  Array.prototype.forEach.call(forms, function (form) {
    var status = form.querySelector(".lookup-status");
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var typed = form.querySelector("input[name=code]").value;
      var code = typed.normalize("NFKC").replace(/[\s\-‐‑–—]/g, "").toUpperCase();
      if (!/^[0-9A-Z]{15,18}$/.test(code)) {
        status.textContent = "请输入18位统一社会信用代码或15位注册号。";
        return;
      }
      var shard = code.slice(-2);
      fetch(form.getAttribute("data-codes") + shard + ".json")
        .then(function (r) { return r.ok ? r.json() : {}; })
        .then(function (codes) {
          if (Object.prototype.hasOwnProperty.call(codes, code)) {
            window.location.href = form.getAttribute("data-entities") + code + "/";
          } else {
            status.textContent = "未找到代码为 " + code + " 的检查对象。";
          }
        })
        .catch(function () { status.textContent = "查询失败，请浏览检查对象名录。"; });
    });
  });
})();
