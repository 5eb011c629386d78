// Scroll the document body (not the page) so the highlighted passage sits a third of the way down.
const reveal = () => {
  const body = element.querySelector('.pqa-doc-body');
  const mark = element.querySelector('#pqa-target');
  if (body && mark) body.scrollTop = Math.max(0, mark.offsetTop - body.clientHeight / 3);
};
watch('value', () => setTimeout(reveal, 30));
setTimeout(reveal, 60);
