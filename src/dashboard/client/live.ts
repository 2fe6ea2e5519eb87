export type LiveState = "connecting" | "live" | "offline";

/**
 * Follows the server's change feed (`/api/events`). `onChange` runs whenever the store
 * changed, and once each time the stream (re)connects, to catch up on changes made while
 * it was down. The browser reconnects a dropped stream by itself.
 */
export function followChanges(
  onChange: () => void,
  onState: (state: LiveState) => void,
): () => void {
  const events = new EventSource("/api/events");
  onState("connecting");
  events.addEventListener("ready", () => {
    onState("live");
    onChange();
  });
  events.addEventListener("change", () => onChange());
  events.addEventListener("error", () => {
    onState(events.readyState === EventSource.CLOSED ? "offline" : "connecting");
  });
  return () => events.close();
}
