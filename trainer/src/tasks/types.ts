/** One task of a task set: what the agent is asked and the answer it is judged against. */
export interface Task {
  id: string;
  question: string;
  /** The reference answer, as the data set gives it. */
  reference: string;
  /** Numeric features kept from the data set (config `tasks.*.fields.features`). */
  features: Record<string, number>;
  /** The source's name when `tasks.train.mix` draws from several. */
  source?: string;
}
