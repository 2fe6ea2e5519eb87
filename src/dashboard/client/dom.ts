/**
 * DOM building for the dashboard. Everything user-made (task and workflow names,
 * descriptions, errors, results) reaches the page only as text nodes or attribute values,
 * never as HTML: there is deliberately no helper that parses markup.
 */

/** What an element can hold: nodes, text, nothing, or lists of these (flattened). */
export type Child = Node | string | number | null | undefined | false | readonly Child[];
type Attrs = Readonly<Record<string, string | number | boolean | null | undefined>>;

/** An HTML element; string children become text nodes. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  setAttributes(element, attrs);
  append(element, children);
  return element;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** An SVG element; string children become text nodes. */
export function s<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG_NS, tag);
  setAttributes(element, attrs);
  append(element, children);
  return element;
}

function setAttributes(element: Element, attrs: Attrs | null): void {
  if (!attrs) return;
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? "" : String(value));
  }
}

function append(element: Element, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(typeof child === "number" ? String(child) : (child as Node | string));
  }
}

/** A link inside the app: `#/…` routes built from encoded parts only. */
export function route(...parts: readonly string[]): string {
  return `#/${parts.map(encodeURIComponent).join("/")}`;
}
