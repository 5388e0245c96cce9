import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Schemas } from '../../api/client';
import { stubApi, type Seen } from '../../test/api';
import { renderUi } from '../../test/render';
import { OverrideImpact, proposalBody } from './Overrides';
import { PreviewTable } from './Policy';
import { looksLikeId, scopeData, ScopeSelect } from './scope';

const groups = { chosen: 'chosen', byId: 'by id', found: 'found', more: 'more' };

describe('rooms and spaces by name', () => {
  afterEach(() => vi.restoreAllMocks());

  it('options: chosen ones the results lack, a typed id, what the search found, and a line when more follow', () => {
    const found = [
      { id: 'c1', name: 'Lobby' },
      { id: 'g1', name: 'Team' },
    ];
    expect(scopeData(found, ['c1', ' s9 '], '0123456789abcdef', (id) => `id ${id}`, groups, true)).toEqual([
      { group: 'chosen', items: [{ value: 's9', label: 'id s9' }] },
      { group: 'by id', items: [{ value: '0123456789abcdef', label: 'id 0123456789abcdef' }] },
      {
        group: 'found',
        items: [
          { value: 'c1', label: 'Lobby', id: 'c1' },
          { value: 'g1', label: 'Team', id: 'g1' },
          { value: '…more', label: 'more', disabled: true },
        ],
      },
    ]);
    // A typed id the results have is not offered twice; nothing found, nothing chosen: no groups.
    expect(scopeData(found, [], 'c1', (id) => id, groups, false).map((g) => g.group)).toEqual(['found']);
    expect(scopeData([], [], null, (id) => id, groups, false)).toEqual([]);
    expect(looksLikeId('0193c2b4-7d1e-7a51-9c55-3a1f2b3c4d5e')).toBe(true);
    expect(looksLikeId('lobby')).toBe(false);
    expect(looksLikeId('two words here')).toBe(false);
  });

  it("searches the tenant's rooms by the typed name, pages on, and offers a pasted id", async () => {
    const seen = stubApi({
      'GET /retention/containers': (o: Seen['opts']) => {
        const q = o?.params?.query ?? {};
        if (q.cursor === 'p2') return { items: [{ kind: 'room', id: 'r-3', name: 'Board room 3' }], next_cursor: null };
        if (q.q === 'board')
          return {
            items: [
              { kind: 'room', id: 'r-1', name: 'Board' },
              { kind: 'room', id: 'r-2', name: 'Board room 2' },
            ],
            next_cursor: 'p2',
          };
        return { items: [], next_cursor: null };
      },
    });
    const onChange = vi.fn();
    renderUi(<ScopeSelect kind="room" label="Room" value={null} onChange={onChange} />);
    const input = screen.getByRole('combobox', { name: 'Room' });
    await userEvent.type(input, 'board');
    expect(await screen.findByRole('option', { name: /Board room 2/, hidden: true })).toBeInTheDocument();
    const asked = seen.filter((s) => s.path === '/retention/containers').map((s) => s.opts?.params?.query);
    expect(asked).toContainEqual({ kind: 'room', q: 'board', limit: 50, cursor: undefined });
    // More follow: said at the end of the list, not offered as a choice.
    expect(screen.getByRole('option', { name: /More rooms match/, hidden: true })).toHaveAttribute('data-combobox-disabled', 'true');
    await userEvent.click(screen.getByRole('option', { name: /Board room 2/, hidden: true }));
    expect(onChange).toHaveBeenCalledWith('r-2', expect.anything());
    // An id pasted whole is offered by itself.
    await userEvent.clear(input);
    await userEvent.type(input, '0193c2b4-7d1e-7a51-9c55-3a1f2b3c4d5e');
    expect(await screen.findByRole('option', { name: 'By id: 0193c2b4-7d1e-7a51-9c55-3a1f2b3c4d5e', hidden: true })).toBeInTheDocument();
  });
});

const preview = (classes: Partial<Schemas['ClassImpact']>[]): Schemas['RetentionPreview'] => ({
  as_of: '2026-11-28T10:00:00Z',
  items: classes.reduce((n, c) => n + (c.items ?? 0), 0),
  classes: classes.map((c) => ({ class: 'x', items: 0, bytes: 0, containers: [], more_containers: 0, held: [], days: null, ...c })),
});

describe("an override's impact", () => {
  it('lists per class what the room would lose, with its size and what holds keep; the class being set always', () => {
    renderUi(
      <OverrideImpact
        cls="messages_group"
        preview={preview([
          { class: 'notifications', days: null },
          { class: 'attachments', days: 30, items: 2, bytes: 2048 },
          { class: 'messages_group', days: 1 },
          { class: 'messages_channel', days: null, held: [{ hold_id: 'h1', name: 'Case 42', items: 5 }] },
        ])}
      />,
    );
    const table = screen.getByRole('table', { name: 'What the next run removes here' });
    expect(within(table).getAllByRole('row')).toHaveLength(4);
    expect(screen.queryByTestId('override-impact-notifications')).toBeNull();
    expect(screen.getByTestId('override-impact-items-messages_group')).toHaveTextContent('0');
    expect(within(screen.getByTestId('override-impact-attachments')).getByText('2 KiB')).toBeInTheDocument();
    expect(within(screen.getByTestId('override-impact-attachments')).getByText('30 days')).toBeInTheDocument();
    expect(screen.getByTestId('override-impact-held-messages_channel')).toHaveTextContent('Case 42: 5');
    expect(screen.getByTestId('override-impact-total')).toHaveTextContent('The next run removes 2 items here');
  });
  it('sends a period, forever or back to the policy as the API takes it (the same for the preview and the save)', () => {
    expect(proposalBody({ kind: 'room', id: 'r', cls: 'messages_group', days: 30 })).toEqual({ set: [{ class: 'messages_group', days: 30 }], reset: [] });
    expect(proposalBody({ kind: 'room', id: 'r', cls: 'messages_group', days: null })).toEqual({ set: [{ class: 'messages_group', days: null }], reset: [] });
    expect(proposalBody({ kind: 'space', id: 's', cls: 'trash', days: 'policy' })).toEqual({ set: [], reset: ['trash'] });
  });
  it('says when nothing would go', () => {
    renderUi(<OverrideImpact cls="trash" preview={preview([{ class: 'trash', days: 0 }])} />);
    expect(screen.getByTestId('override-impact-total')).toHaveTextContent('Nothing here would be removed');
  });
});

describe('the policy preview', () => {
  it('names the rooms and spaces where items go, the id when the name is gone', async () => {
    renderUi(
      <PreviewTable
        preview={preview([
          {
            class: 'trash',
            items: 5,
            containers: [
              { kind: 'space', id: 's-1', name: 'Sales', items: 4, bytes: 0 },
              { kind: 'space', id: 's-2', name: null, items: 1, bytes: 0 },
            ],
          },
        ])}
      />,
    );
    await waitFor(() => expect(screen.getByTestId('preview-trash')).toBeInTheDocument());
    const where = within(screen.getByTestId('preview-trash'));
    expect(where.getByText('Sales: 4')).toHaveAttribute('title', 's-1');
    expect(where.getByText('Space s-2: 1')).toBeInTheDocument();
  });
});
