/** What store tests do with an error they expect: get hold of it, to look at its fields. */

/** The error `fn` throws; fails the test when it throws none. */
export function thrown(fn: () => unknown): Error & Record<string, unknown> {
  try {
    fn();
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error("expected an error, but none was thrown");
}

/** The error `promise` rejects with; fails the test when it resolves. */
export async function rejection(
  promise: Promise<unknown>,
): Promise<Error & Record<string, unknown>> {
  return (await promise.then(
    () => {
      throw new Error("expected a rejection, but it resolved");
    },
    (error: unknown) => error,
  )) as Error & Record<string, unknown>;
}
