import { ApiFailure } from "./api.js";
import { emptyState } from "./components.js";
import { h } from "./dom.js";
import { formatAgo, formatDuration } from "./format.js";
import { followChanges, type LiveState } from "./live.js";
import { pageOf, parseRoute, type Route } from "./router.js";
import { runView } from "./views/run.js";
import { type View, workflowsView, workflowView } from "./views/workflows.js";

const main = required("main");
const storeLabel = required("store");
const liveLabel = required("live");

/** One render at a time; changes that arrive meanwhile ask for one more, not one each. */
let rendering: Promise<void> | undefined;
let again = false;
let shownPage: string | undefined;

function render(): void {
  if (rendering !== undefined) {
    again = true;
    return;
  }
  rendering = (async () => {
    do {
      again = false;
      const hash = location.hash;
      const route = parseRoute(hash);
      let view: View;
      try {
        view = await load(route);
      } catch (error) {
        view = failure(error);
      }
      // Navigated meanwhile: this view is stale; the loop draws the new route.
      if (location.hash !== hash) {
        again = true;
        continue;
      }
      show(view, pageOf(route));
    } while (again);
  })().finally(() => {
    rendering = undefined;
  });
}

function load(route: Route): Promise<View> {
  switch (route.kind) {
    case "workflows":
      return workflowsView();
    case "workflow":
      return workflowView(route.name);
    case "run":
      return runView(route.runId, route.task);
    case "unknown":
      return Promise.resolve({
        node: emptyState("Page not found", h("a", { href: "#/" }, "Back to the workflows")),
        title: "Not found",
        store: storeLabel.textContent ?? "",
      });
  }
}

/** Swaps the page in one go, keeping scroll positions on a refresh of the same page. */
function show(view: View, page: string): void {
  const samePage = page === shownPage;
  const scrolls = new Map<string, [number, number]>();
  const open = new Set<string>();
  if (samePage) {
    for (const el of main.querySelectorAll<HTMLElement>("[data-scroll-key]")) {
      scrolls.set(el.dataset.scrollKey ?? "", [el.scrollLeft, el.scrollTop]);
    }
    for (const el of main.querySelectorAll<HTMLDetailsElement>("details[data-keep-open]")) {
      if (el.open) open.add(el.dataset.keepOpen ?? "");
    }
  }
  main.replaceChildren(view.node);
  for (const el of main.querySelectorAll<HTMLElement>("[data-scroll-key]")) {
    const saved = scrolls.get(el.dataset.scrollKey ?? "");
    if (saved) [el.scrollLeft, el.scrollTop] = saved;
  }
  for (const el of main.querySelectorAll<HTMLDetailsElement>("details[data-keep-open]")) {
    if (open.has(el.dataset.keepOpen ?? "")) el.open = true;
  }
  if (!samePage) window.scrollTo(0, 0);
  shownPage = page;
  document.title = `${view.title} · FlowWeaver`;
  storeLabel.textContent = view.store;
  storeLabel.title = view.store;
  main.setAttribute("aria-busy", "false");
}

function failure(error: unknown): View {
  const message = error instanceof Error ? error.message : String(error);
  const title =
    error instanceof ApiFailure && error.status === 404
      ? "Not found"
      : error instanceof ApiFailure && error.status === 401
        ? "Token needed"
        : "Could not load this page";
  return {
    node: h(
      "div",
      { class: "page" },
      emptyState(title, message, h("a", { href: "#/" }, "Back to the workflows")),
    ),
    title,
    store: storeLabel.textContent ?? "",
  };
}

const LIVE_TEXT: Readonly<Record<LiveState, string>> = {
  connecting: "Connecting…",
  live: "Live",
  offline: "Offline",
};

function setLive(state: LiveState): void {
  liveLabel.dataset.state = state;
  liveLabel.textContent = LIVE_TEXT[state];
  liveLabel.title =
    state === "live"
      ? "Updates by itself as runs progress"
      : state === "offline"
        ? "Lost the connection to the dashboard server; reload the page once it is back"
        : "Connecting to the dashboard server";
}

/** Keeps "running for" durations and "… ago" times current between updates. */
function tick(): void {
  const now = Date.now();
  for (const el of main.querySelectorAll<HTMLElement>("[data-since]")) {
    el.textContent = formatDuration((now - Number(el.dataset.since)) / 1000);
  }
  for (const el of main.querySelectorAll<HTMLElement>("[data-ago]")) {
    el.textContent = formatAgo(Number(el.dataset.ago), now);
  }
}

function required(id: string): HTMLElement {
  const element = document.getElementById(id);
  if (!element) throw new Error(`index.html lacks the #${id} element`);
  return element;
}

window.addEventListener("hashchange", render);
followChanges(render, setLive);
setInterval(tick, 1000);
render();
