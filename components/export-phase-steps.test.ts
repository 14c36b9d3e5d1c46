import { describe, expect, it } from 'vitest';
import { type ExportPhase, exportPhaseLabel } from './export-phase-steps';

describe('export phases', () => {
  it('names every phase', () => {
    const phases: ExportPhase[] = ['queued', 'discovering', 'exporting', 'finishing', 'done'];
    expect(phases.map(exportPhaseLabel)).toEqual(['Queued', 'Discovering', 'Exporting', 'Finishing', 'Done']);
  });
});
