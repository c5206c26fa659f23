"""The HTML report's stylesheet and script, and the Content-Security-Policy that pins both by hash: the page
runs this script and applies this stylesheet, and nothing else, even if some text were ever left unescaped."""

from __future__ import annotations

import base64
import hashlib

CSS = """
:root{--fg:#1d2430;--muted:#5b6575;--line:#d8dde6;--bg:#f6f7fa;--card:#fff;--mono:ui-monospace,SFMono-Regular,
Menlo,Consolas,"DejaVu Sans Mono",monospace}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);
background:var(--bg)}
main{max-width:1280px;margin:0 auto;padding:18px 24px 48px}
h1{font-size:22px;margin:0}
h2{font-size:17px;margin:26px 0 10px}
h3{font-size:15px;margin:18px 0 6px}
code,pre{font-family:var(--mono);font-size:12.5px}
pre{white-space:pre-wrap;word-break:break-all;margin:4px 0;padding:8px 10px;background:#f1f3f7;border:1px solid
var(--line);border-radius:4px;max-height:360px;overflow:auto}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 18px}
.top{display:flex;gap:18px;align-items:stretch}
.gate{min-width:150px;align-self:flex-start;border-radius:8px;color:#fff;display:flex;flex-direction:column;
align-items:center;font-weight:700;padding:14px 18px}
.gate b{font-size:30px;letter-spacing:1px}
.gate small{font-weight:400;font-size:12px;opacity:.9;text-align:center}
.gate.pass{background:#2e7d32}.gate.fail{background:#c62828}.gate.unknown{background:#757575}
.facts{flex:1;display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0}
.facts dt{color:var(--muted)}.facts dd{margin:0;word-break:break-all}
.bar{display:flex;height:14px;border-radius:7px;overflow:hidden;margin:12px 0 4px;border:1px solid var(--line)}
.bar span{display:block;height:100%;flex:1;border:0}
.bar span.v-needsdriver{background:#eceff1}
.filters{position:sticky;top:0;z-index:5;margin-top:14px;background:var(--card);border:1px solid var(--line);
border-radius:8px;padding:10px 14px;box-shadow:0 2px 6px rgba(0,0,0,.06)}
.legend{display:flex;flex-wrap:wrap;gap:6px 8px;margin:0 0 8px;padding:0;list-style:none}
.legend label{display:inline-flex;align-items:center;gap:5px;padding:2px 8px 2px 4px;border:1px solid var(--line);
border-radius:14px;cursor:pointer;user-select:none;background:#fff}
.legend input{margin:0}
.legend .n{color:var(--muted);font-variant-numeric:tabular-nums}
.controls{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center}
.controls select,.controls input[type=search]{font:inherit;padding:2px 6px}
.controls button{font:inherit;padding:2px 10px;cursor:pointer}
#shown{color:var(--muted);margin-left:auto}
.sw{display:inline-block;width:14px;height:14px;border-radius:3px;border:1px solid rgba(0,0,0,.25)}
.badge{display:inline-block;padding:0 7px;border-radius:10px;font-size:12px;white-space:nowrap;border:1px solid
rgba(0,0,0,.15)}
.v-fail{background:#c62828;color:#fff}.v-stale{background:#d84315;color:#fff}.v-kiterror{background:#37474f;color:#fff}
.v-masked{background:#ab47bc;color:#fff}.v-inconclusive{background:#fff176;color:#222}
.v-deviation{background:#f9a825;color:#222}.v-nonstrict{background:#ffb74d;color:#222}
.v-info{background:#81d4fa;color:#222}.v-capability{background:#90a4ae;color:#222}.v-pass{background:#43a047;color:#fff}
.v-notexamined{background:#e0e0e0;color:#222}.v-notrun{background:#eeeeee;color:#555}
.v-needsdriver{background:#fff;color:#555;border:1px dashed #78909c}
.v-untestable{background:repeating-linear-gradient(135deg,#e3e7ea 0 4px,#cfd6db 4px 8px);color:#333}
.v-other{background:#fff;color:#222;border:1px solid #222}
table.matrix{border-collapse:collapse;width:100%}
.matrix th{text-align:left;font-weight:600;padding:5px 10px 5px 0;white-space:nowrap;vertical-align:top;width:1%}
.matrix th small{display:block;color:var(--muted);font-weight:400}
.matrix td{padding:4px 0;border-bottom:1px solid #eef0f4}
.tiles{display:flex;flex-wrap:wrap;gap:3px}
a.tile{display:inline-block;min-width:74px;padding:1px 5px;border-radius:3px;font:11px/16px var(--mono);
text-decoration:none;text-align:center}
a.tile.dim{opacity:.35;filter:saturate(.6)}
a.tile:focus,a.tile:hover{outline:2px solid #1d2430}
.chapter.hidden,.req.hidden,.hidden{display:none}
details.req{background:var(--card);border:1px solid var(--line);border-radius:6px;margin:4px 0;
scroll-margin-top:150px}
details.req>summary{cursor:pointer;padding:6px 10px;display:flex;gap:8px;align-items:baseline;list-style:none}
details.req>summary::-webkit-details-marker{display:none}
details.req>summary:before{content:"\\25B8";color:var(--muted)}
details.req[open]>summary:before{content:"\\25BE"}
details.req[open]>summary{border-bottom:1px solid var(--line)}
details.tests{margin:8px 0 0;font-size:12.5px}
details.tests>summary{cursor:pointer;color:var(--muted)}
details.tests ul{margin:4px 0;padding-left:20px}
.rid{font:600 12.5px var(--mono);min-width:96px}
.lvl{font:11px var(--mono);color:var(--muted);min-width:74px}
.role{font-size:12px;color:var(--muted);min-width:64px}
.stext{overflow:hidden;text-overflow:ellipsis;white-space:nowrap;flex:1}
.nf{font-size:12px;color:#c62828;white-space:nowrap}
.body{padding:8px 14px 12px}
.why{background:#fffbe6;border-left:3px solid #f9a825;padding:4px 10px;margin:6px 0}
.muted{color:var(--muted)}
.finding{border:1px solid #e6b8b8;border-left:4px solid #c62828;border-radius:6px;padding:8px 12px;margin:10px 0;
background:#fffdfd}
.finding.tolerated{border-color:#ecd9a6;border-left-color:#f9a825;background:#fffef8}
.finding.context{border-color:var(--line);border-left-color:#78909c;background:#fbfcfd}
.finding h4{margin:0 0 6px;font-size:13.5px}
.eo{display:grid;grid-template-columns:1fr 1fr;gap:10px}
.eo h5,.finding h5{margin:8px 0 2px;font-size:12px;text-transform:uppercase;letter-spacing:.4px;color:var(--muted)}
.msg{border:1px solid var(--line);border-radius:5px;margin:6px 0;background:#fff}
.msg.involved{border-color:#c62828;box-shadow:0 0 0 1px #c62828 inset}
.msg .head{font:12px var(--mono);padding:4px 8px;background:#f1f3f7;border-bottom:1px solid var(--line)}
.msg .head b{font-weight:600}
.msg .dir{display:inline-block;min-width:78px;font-weight:700}
pre.tail:not(.whole){max-height:none}
.msg pre{margin:0;border:0;border-radius:0;background:#fff;max-height:220px}
.msg .lab{font:11px var(--mono);color:var(--muted);padding:2px 8px 0}
.note{font-size:12px;color:#8a5300;background:#fff4e0;border-radius:4px;padding:2px 8px;display:inline-block;
margin:4px 0}
.repro{display:flex;gap:8px;align-items:flex-start}
.repro pre{flex:1;margin:0}
.repro button{font:inherit;padding:4px 12px;cursor:pointer;white-space:nowrap}
footer{margin-top:30px;color:var(--muted);font-size:12px}
"""

JS = """
(function(){
  'use strict';
  function all(sel, root){ return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  var levelSel = document.getElementById('f-level'), roleSel = document.getElementById('f-role');
  var textBox = document.getElementById('f-text'), shown = document.getElementById('shown');
  function apply(){
    var wanted = {};
    all('input.fv').forEach(function(box){ wanted[box.value] = box.checked; });
    var level = levelSel.value, role = roleSel.value, text = textBox.value.trim().toLowerCase();
    function keep(el){
      return wanted[el.getAttribute('data-verdict')] !== false
        && (!level || el.getAttribute('data-level') === level)
        && (!role || el.getAttribute('data-role') === role)
        && (!text || el.getAttribute('data-search').indexOf(text) >= 0);
    }
    var count = 0, total = 0;
    all('details.req').forEach(function(el){
      var ok = keep(el); el.classList.toggle('hidden', !ok); total++; if (ok) { count++; }
    });
    all('a.tile').forEach(function(el){ el.classList.toggle('dim', !keep(el)); });
    all('section.chapter').forEach(function(sec){
      sec.classList.toggle('hidden', !sec.querySelector('details.req:not(.hidden)'));
    });
    shown.textContent = count + ' of ' + total + ' requirements shown';
  }
  function setVerdicts(which){
    all('input.fv').forEach(function(box){ box.checked = which === null || which.indexOf(box.value) >= 0; });
    apply();
  }
  all('input.fv').forEach(function(box){ box.addEventListener('change', apply); });
  [levelSel, roleSel].forEach(function(s){ s.addEventListener('change', apply); });
  textBox.addEventListener('input', apply);
  document.getElementById('f-problems').addEventListener('click', function(){
    setVerdicts(JSON.parse(document.body.getAttribute('data-problems')));
  });
  document.getElementById('f-all').addEventListener('click', function(){
    levelSel.value = ''; roleSel.value = ''; textBox.value = ''; setVerdicts(null);
  });
  function openFromHash(){
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    if (el && el.tagName === 'DETAILS') {
      if (el.classList.contains('hidden')) { document.getElementById('f-all').click(); }
      el.open = true; el.scrollIntoView({block: 'start'});
    }
  }
  window.addEventListener('hashchange', openFromHash);
  all('button.copy').forEach(function(button){
    button.addEventListener('click', function(){
      var code = button.parentNode.querySelector('pre');
      var text = code.textContent;
      function done(ok){
        button.textContent = ok ? 'copied' : 'select + Ctrl+C';
        button.setAttribute('data-copied', ok ? 'yes' : 'no');
        setTimeout(function(){ button.textContent = 'copy'; }, 1600);
      }
      function fallback(){
        var range = document.createRange(); range.selectNodeContents(code);
        var sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range);
        var ok = false; try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
        done(ok);
      }
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(function(){ done(true); }, fallback);
      } else { fallback(); }
    });
  });
  // An output tail's last lines matter most: show the end of each scrolled box.
  all('pre.tail.whole').forEach(function(pre){ pre.scrollTop = pre.scrollHeight; });
  apply();
  openFromHash();
})();
"""


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


CSP = ("default-src 'none'; img-src data:; style-src " + _csp_hash(CSS) + "; script-src " + _csp_hash(JS)
       + "; base-uri 'none'; form-action 'none'")
