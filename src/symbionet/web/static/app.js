// Jobs' progress, read from the API every second while any job runs.
(function () {
  const rows = Array.from(document.querySelectorAll("tr[data-job]"));
  const running = (row) => ["queued", "running"].includes(row.dataset.status);
  async function poll() {
    const active = rows.filter(running);
    for (const row of active) {
      const response = await fetch(`/api/jobs/${row.dataset.job}`, { credentials: "same-origin" });
      if (!response.ok) continue;
      const job = await response.json();
      row.dataset.status = job.status;
      row.querySelector("progress").value = job.progress;
      row.querySelector(".status").textContent = job.status;
      row.querySelector(".message").textContent = job.message;
      if (!running(row)) {
        const cancel = row.querySelector("form");
        if (cancel) cancel.remove();
      }
    }
    if (rows.some(running)) setTimeout(poll, 1000);
  }
  if (rows.some(running)) setTimeout(poll, 500);
})();
