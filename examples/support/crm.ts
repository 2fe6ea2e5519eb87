/** The CRM the customer examples extract from: a fixture served by the local API. */
import { json, type LocalApi, startLocalApi } from "./local-api.js";
import { lazyStandIn } from "./stand-in.js";

/** A customer as the CRM exports it: fields may be missing or malformed. */
export interface CrmCustomer {
  readonly id: number;
  readonly name: string | null;
  readonly email: string | null;
  readonly country: string;
}

export const CRM_CUSTOMERS: readonly CrmCustomer[] = [
  { id: 101, name: "Alice Martin", email: "alice@example.com", country: "FR" },
  { id: 102, name: "Bob Chen", email: "bob.chen@example.com", country: "US" },
  { id: 103, name: "Chidi Okafor", email: "chidi@example", country: "NG" },
  { id: 104, name: null, email: "nameless@example.com", country: "DE" },
  { id: 105, name: "Dana Kowalski", email: "dana@example.com", country: "PL" },
  { id: 106, name: "Emeka Obi", email: null, country: "NG" },
  { id: 107, name: "Fatima Zahra", email: "fatima@example.com", country: "MA" },
];

/** Starts the CRM stand-in: `GET /customers` lists {@link CRM_CUSTOMERS}. */
export function startCrm(): Promise<LocalApi> {
  return startLocalApi({ "/customers": json(CRM_CUSTOMERS) });
}

/** The CRM for runs without a `crmUrl` parameter: started by the first task that calls it. */
export const crmStandIn = lazyStandIn("the CRM", () => ({ "/customers": json(CRM_CUSTOMERS) }));
