/** A dispatcher for platforms under test that must receive nothing: any request is a test failure. */
import type { ActionDispatcher } from "../../src/chat/dispatcher.js";

const fail = (): never => {
  throw new Error("no requests come in to this platform in this test");
};

export const NO_REQUESTS: Pick<ActionDispatcher, "dispatch" | "unknownAction" | "admits"> = {
  dispatch: () => Promise.reject(new Error("no requests come in to this platform in this test")),
  unknownAction: fail,
  admits: fail,
};
