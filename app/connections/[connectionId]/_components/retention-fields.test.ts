import { describe, expect, it } from 'vitest';
import { type Fields, fieldsOf, policyOf } from './retention-fields';

const empty: Fields = fieldsOf(undefined);

describe('the retention form’s fields', () => {
  it('start from the saved policy, an unused rule as an empty field', () => {
    expect(fieldsOf({ keepLast: 3, keepHourly: null, keepDaily: -1, keepWeekly: null, keepMonthly: null, keepYearly: null, keepWithin: '2w' })).toEqual({
      ...empty,
      keepLast: '3',
      keepDaily: '-1',
      keepWithin: '2w',
    });
  });

  it('make a policy: empty fields are rules not used, -1 is all', () => {
    expect(policyOf({ ...empty, keepDaily: ' 7 ', keepYearly: '-1', keepWithin: ' 1y6m ' })).toEqual({
      policy: { keepLast: null, keepHourly: null, keepDaily: 7, keepWeekly: null, keepMonthly: null, keepYearly: -1, keepWithin: '1y6m' },
    });
    expect(policyOf(empty)).toEqual({
      policy: { keepLast: null, keepHourly: null, keepDaily: null, keepWeekly: null, keepMonthly: null, keepYearly: null, keepWithin: null },
    });
  });

  it('name the field that is not a count or a duration', () => {
    expect(policyOf({ ...empty, keepDaily: '1.5' })).toEqual({ invalid: 'keepDaily' });
    expect(policyOf({ ...empty, keepHourly: '-2' })).toEqual({ invalid: 'keepHourly' });
    expect(policyOf({ ...empty, keepLast: 'ten' })).toEqual({ invalid: 'keepLast' });
    expect(policyOf({ ...empty, keepWithin: '3 days' })).toEqual({ invalid: 'keepWithin' });
    expect(policyOf({ ...empty, keepWithin: '0d' })).toEqual({ invalid: 'keepWithin' });
  });
});
