/** Minimal types for the reference implementation used only by the benchmark. */
declare module "ml-isolation-forest" {
  export class IsolationForest {
    constructor(options?: { nEstimators?: number });
    train(rows: number[][]): void;
    predict(rows: number[][]): number[];
  }
  export default IsolationForest;
}
