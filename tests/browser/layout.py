"""Layout checks the browser tests run on a page: horizontal overflow of the page body, and
controls or scroll boxes whose content is cut off.

Each is a JavaScript function evaluated in the page; it returns a list of findings (empty when
the page is fine), each a short description a failing test can print.
"""

from __future__ import annotations

# The page body scrolls sideways: something is wider than the viewport.
PAGE_OVERFLOW = """() => {
  const root = document.documentElement;
  if (root.scrollWidth <= root.clientWidth) return [];
  const culprits = [];
  for (const element of document.body.querySelectorAll("*")) {
    const box = element.getBoundingClientRect();
    if (box.right > root.clientWidth + 1 && box.width > 0) {
      const parent = element.parentElement && element.parentElement.getBoundingClientRect();
      if (!parent || parent.right <= root.clientWidth + 1) {
        culprits.push(`${element.tagName.toLowerCase()}.${[...element.classList].join(".")} ` +
                      `right=${Math.round(box.right)}`);
      }
    }
  }
  return [`page ${root.scrollWidth}px wide in a ${root.clientWidth}px viewport: ` +
          culprits.slice(0, 5).join("; ")];
}"""

# Text that does not fit its control (a select's chosen option, a short input's value or an
# input's placeholder, a button's label) and elements matched by ``selector`` whose content is wider
# than their box (a table that scrolls inside its card, a code block).
CLIPPED = """(selector) => {
  const canvas = document.createElement("canvas").getContext("2d");
  const found = [];
  const name = (element) => element.id ? `#${element.id}` :
    `${element.tagName.toLowerCase()}[name=${element.getAttribute("name") || ""}]`;
  const visible = (element) => element.offsetParent !== null && element.clientWidth > 0;
  for (const control of document.querySelectorAll("main select, main input, main .btn")) {
    if (!visible(control) || control.type === "hidden" || control.type === "checkbox" ||
        control.type === "radio" || control.type === "file") continue;
    const style = getComputedStyle(control);
    canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    let text;
    const room =
      control.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    if (control.tagName === "SELECT") {
      text = control.selectedOptions.length ? control.selectedOptions[0].text : "";
    } else if (control.tagName === "INPUT") {
      // A long free text (a batch name, a feed address) may scroll inside its box; a short
      // fixed format (a time, maxlength 10 or less) and a placeholder must be seen whole.
      const short = control.maxLength > 0 && control.maxLength <= 10;
      text = control.value ? (short ? control.value : "") : control.placeholder || "";
    } else {
      if (control.scrollWidth > control.clientWidth + 1) {
        found.push(`button "${control.textContent.trim()}" cut off`);
      }
      continue;
    }
    const width = canvas.measureText(text).width;
    if (text && width > room + 1) {
      found.push(`${name(control)} shows "${text}" (${Math.round(width)}px) ` +
                 `in ${Math.round(room)}px`);
    }
  }
  if (selector) {
    for (const box of document.querySelectorAll(selector)) {
      if (visible(box) && box.scrollWidth > box.clientWidth + 1) {
        found.push(`${box.tagName.toLowerCase()}.${[...box.classList].join(".")} content ` +
                   `${box.scrollWidth}px in ${box.clientWidth}px`);
      }
    }
  }
  return found;
}"""
