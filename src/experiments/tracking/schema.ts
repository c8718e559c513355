import { z } from 'zod';

/**
 * `tracking:` in a run config: where a run's metrics go besides
 * events.jsonl. `tensorboard: DIR` writes TensorBoard event files to
 * DIR/RUN_NAME/ (so runs under one DIR compare in `tensorboard --logdir DIR`);
 * `mlflow` logs to an MLflow tracking server (params: the resolved config;
 * metrics: per round).
 */
export const TrackingSchema = z
  .object({
    tensorboard: z.string().min(1).optional(),
    mlflow: z
      .object({
        tracking_uri: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. http://127.0.0.1:5000' }),
        experiment_name: z.string().min(1).default('qfl'),
        /** Default: the run directory's name. */
        run_name: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type TrackingConfig = z.infer<typeof TrackingSchema>;
