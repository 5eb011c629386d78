// Chat messages are sanitized HTML (classes survive, data-* attributes do not), so a document-level
// listener in an always-mounted block turns clicks on elements classed pqa-cite-<turn>-<n> (open the
// document) or pqa-copy-<turn> (copy the answer as Markdown) into events of this block.
window.__pqaOpen = (cite) => trigger('click', {cite: cite});
window.__pqaCopy = (turn) => { window.__pqaCopyWanted = true; trigger('click', {copy: turn}); };
if (!window.__pqaBridge) {
  window.__pqaBridge = true;
  document.addEventListener('click', (event) => {
    const target = event.target.closest ? event.target : null;
    const copy = target && target.closest('[class*="pqa-copy-"]');
    if (copy) {
      event.preventDefault();
      const name = [...copy.classList].find((c) => c.startsWith('pqa-copy-'));
      window.__pqaCopy(name.slice('pqa-copy-'.length));
      return;
    }
    const el = target && target.closest('[class*="pqa-cite-"]');
    const selection = window.getSelection();
    if (!el || (selection && !selection.isCollapsed && el.contains(selection.anchorNode))) return;
    event.preventDefault();
    const cite = [...el.classList].find((c) => c.startsWith('pqa-cite-'));
    window.__pqaOpen(cite.slice('pqa-cite-'.length));
  }, true);

  // Keep the question and the start of its answer in view: when a question is sent, and again when its
  // answer completes (the source cards follow below), the question's row is scrolled to the top of the chat.
  const scroller = (row) => {
    for (let el = row.parentElement; el; el = el.parentElement) {
      const style = getComputedStyle(el);
      if (/(auto|scroll)/.test(style.overflowY) && el.scrollHeight > el.clientHeight) return el;
    }
    return null;
  };
  const reveal = () => {
    const rows = document.querySelectorAll('#pqa-chat .user-row');
    const row = rows[rows.length - 1];
    const box = row && scroller(row);
    if (!box) return;
    box.scrollTop += row.getBoundingClientRect().top - box.getBoundingClientRect().top - 8;
    window.__pqaRevealed = (window.__pqaRevealed || 0) + 1;
  };
  let seen = {questions: 0, answers: 0};
  const check = () => {
    const now = {
      questions: document.querySelectorAll('#pqa-chat .user-row').length,
      answers: document.querySelectorAll('#pqa-chat .pqa-final').length,
    };
    if (now.questions > seen.questions || now.answers > seen.answers) requestAnimationFrame(reveal);
    seen = now;
  };
  new MutationObserver(check).observe(document.body, {childList: true, subtree: true});
}
