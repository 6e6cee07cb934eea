// Runs before the page is drawn (loaded without defer): styles that need JavaScript apply from the start.
document.documentElement.classList.add("js");
