// On a phone the event's tabs scroll sideways: bring the current one into view.
(function () {
  var current = document.querySelector('.event-nav [aria-current="page"]');
  if (!current) return;
  var row = current.closest("ul");
  if (row.scrollWidth > row.clientWidth) {
    row.scrollLeft = current.offsetLeft - (row.clientWidth - current.offsetWidth) / 2;
  }
})();
