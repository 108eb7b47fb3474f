/** Progress for machines: one JSON object per event, on its own line. */
import type { ProgressEvent, ProgressListener } from '../run/progress.js';

export function jsonRenderer(write: (s: string) => void): ProgressListener {
  return (e: ProgressEvent) => write(`${JSON.stringify({ ...e, time: new Date(e.time).toISOString() })}\n`);
}
