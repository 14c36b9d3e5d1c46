import { metricsRegistry } from '@/server/observability/metrics';

/** One sample of a metric in the process's registry. */
export type MetricSample = { value: number; labels: Record<string, string | number | undefined>; metricName?: string };

/** The samples of the metric `name` in the process's registry; throws when no such metric is registered. */
export async function metricSamples(name: string): Promise<MetricSample[]> {
  const metric = metricsRegistry().getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  return (await metric.get()).values as MetricSample[];
}

/**
 * The sum of the samples of `name` whose labels include `labels`: 0 when there is none, or when the
 * metric is not registered yet (metrics made at their first use). The registry is the process's:
 * tests compare a value before and after.
 */
export async function sampleValue(name: string, labels: Record<string, string> = {}): Promise<number> {
  if (!metricsRegistry().getSingleMetric(name)) return 0;
  const found = (await metricSamples(name)).filter((s) => Object.entries(labels).every(([k, v]) => String(s.labels[k]) === v));
  return found.reduce((total, s) => total + s.value, 0);
}
