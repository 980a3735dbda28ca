/* Every page, once per load: what Streamlit offers no setting for (JIS X 8341-3 / WCAG 2.x AA). */
/* - html lang="ja" (Streamlit serves "en"): screen readers read the page in Japanese. */
/* - Streamlit's own English labels in Japanese (aria-label, title and a few visible strings). */
/* - Charts named for assistive technology (role="figure" and aria-label on their box). */
/* - The sidebar starts collapsed on narrow screens (a tablet upright), once per browser tab. */
(() => {
  document.documentElement.lang = "ja";
  if (window.kyotenPage) return;  /* one observer per browser tab */
  window.kyotenPage = true;
  window.kyotenChartLabels = window.kyotenChartLabels || {};

  const WORDS = {
    "Skip to main content": "本文へ移動",
    "Sidebar": "サイドバー",
    "Collapse sidebar": "サイドバーを閉じる",
    "Expand sidebar": "サイドバーを開く",
    "App pages": "ページ一覧",
    "Open": "開く",
    "Close": "閉じる",
    "Link to heading": "この見出しへのリンク",
    "Show/hide columns": "列の表示・非表示",
    "Download as CSV": "CSVでダウンロード",
    "Search": "検索",
    "Fullscreen": "全画面表示",
    "Close fullscreen": "全画面表示を終了",
    "Select all": "すべて選択",
    "Clear all": "すべて解除",
    "Clear value": "選択を解除",
    "No results": "該当なし",
    "Choose an option": "選択してください",
    "Browse files": "ファイルを選択",
    "Drag and drop file here": "ここにファイルをドラッグ＆ドロップ",
    "Running...": "実行中…",
  };
  const translate = (text) => {
    if (text in WORDS) return WORDS[text];
    const help = /^Help for (.+)$/.exec(text);
    return help ? `${help[1]}の説明` : null;
  };

  const apply = () => {
    for (const attribute of ["aria-label", "title", "placeholder"]) {
      document.querySelectorAll(`[${attribute}]`).forEach((element) => {
        const japanese = translate(element.getAttribute(attribute));
        if (japanese) element.setAttribute(attribute, japanese);
      });
    }
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent.trim();
      const japanese = text && WORDS[text];
      if (japanese && !node.parentElement.closest("[data-testid='stIconMaterial']")) {
        node.textContent = node.textContent.replace(text, japanese);
      }
    }
    document.querySelectorAll("[data-testid='stTable'] table").forEach((table) => {
      const frame = table.parentElement;  /* the frame that scrolls sideways: reachable by keyboard */
      if (frame && !frame.hasAttribute("tabindex")) {
        frame.setAttribute("tabindex", "0");
        frame.setAttribute("role", "region");
        frame.setAttribute("aria-label", "表（横にスクロールできます）");
      }
    });
    for (const [key, label] of Object.entries(window.kyotenChartLabels)) {
      document.querySelectorAll(`.st-key-${CSS.escape(key)}`).forEach((box) => {
        if (box.getAttribute("aria-label") !== label) {
          box.setAttribute("role", "figure");
          box.setAttribute("aria-label", label);
        }
      });
    }
  };

  let pending = false;
  new MutationObserver(() => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; apply(); });
  }).observe(document.body, { childList: true, subtree: true, characterData: true });
  apply();

  const NARROW = 1024;
  if (window.innerWidth <= NARROW && !sessionStorage.getItem("kyotenSidebarCollapsed")) {
    sessionStorage.setItem("kyotenSidebarCollapsed", "1");
    const collapse = (tries) => {
      const sidebar = document.querySelector("[data-testid='stSidebar']");
      const button = document.querySelector("[data-testid='stSidebarCollapseButton'] button");
      const open = sidebar && sidebar.getAttribute("aria-expanded") !== "false" && sidebar.offsetWidth > 50;
      if (open && button) button.click();
      else if (tries > 0) setTimeout(() => collapse(tries - 1), 100);
    };
    collapse(50);
  }
})();
