// The new-session form: typing a start date or time chooses "Op een later moment", so that
// the start the resident typed is the one used. Without JavaScript the radio buttons do it.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const later = document.getElementById("startmoment-later");
  if (!later) return;
  for (const id of ["startdatum", "starttijd"]) {
    const field = document.getElementById(id);
    if (field) field.addEventListener("input", () => { later.checked = true; });
  }
});
