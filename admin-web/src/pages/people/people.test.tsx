import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Schemas } from '../../api/client';
import { answer, sessionRoutes, stubApi, type Seen } from '../../test/api';
import { renderUi } from '../../test/render';
import { DeleteDialog, deletionChoices } from './DeleteDialog';
import { DeletionPreviewView } from './DeletionPreview';
import { ErasureReportView } from './ErasureReports';

const line = (feature: string, what: string, v: Partial<Schemas['ForeseenLine']> = {}): Schemas['ForeseenLine'] => ({
  feature,
  what,
  items: 0,
  bytes: 0,
  held: 0,
  kept: 0,
  ...v,
});

const preview: Schemas['DeletionPreview'] = {
  user_id: 'u-dana',
  grace_days: 14,
  erase_at: '2026-12-12T10:00:00Z',
  authored_messages: 'pseudonymise',
  transferred: [
    { feature: 'messaging', what: 'rooms owned', items: 2, to: 'person:u-bob' },
    { feature: 'documents', what: 'documents in the personal space', items: 5, to: 'company' },
    { feature: 'tasks', what: 'tasks created', items: 1, to: 'assignees' },
  ],
  erased: [
    line('messaging', 'messages', { kept: 3 }),
    line('messaging', 'memberships', { items: 4 }),
    line('files', 'uploads', { items: 2, bytes: 1536, held: 1 }),
    line('notes', 'notes'),
    line('users', 'profile', { kept: 1 }),
  ],
  holds: ['Case 42'],
  totals: { items: 6, bytes: 1536, held: 1, kept: 4, transferred: 8 },
};

const admin = sessionRoutes(['users.read', 'users.delete']);

describe('the deletion preview', () => {
  afterEach(() => vi.restoreAllMocks());

  it('lists what goes to whom, by name, and what is removed, kept and held per kind of data', async () => {
    stubApi({ ...admin, 'GET /users/{id}': (o: Seen['opts']) => ({ id: o?.params?.path?.id, display_name: 'Bob Heir' }) });
    renderUi(<DeletionPreviewView preview={preview} />, { session: true });
    const moved = screen.getByTestId('deletion-preview-transferred');
    expect(within(moved).getAllByRole('row')).toHaveLength(4);
    expect(await within(moved).findByRole('link', { name: 'Bob Heir' })).toHaveAttribute('href', '/people/u-bob');
    expect(screen.getByTestId('transfer-items-messaging.rooms owned')).toHaveTextContent('2');
    expect(screen.getByTestId('transfer-to-documents.documents in the personal space')).toHaveTextContent('The company space');
    expect(screen.getByTestId('transfer-to-tasks.tasks created')).toHaveTextContent('The assignees');

    const erased = screen.getByTestId('deletion-preview-erased');
    // Only the kinds of data with something to say; the rest are counted underneath.
    expect(within(erased).queryByText('notes')).toBeNull();
    expect(screen.getByText('1 other kind of data has nothing to remove.')).toBeInTheDocument();
    const uploads = screen.getByTestId('erased-files.uploads');
    expect(within(uploads).getByText('Files')).toBeInTheDocument();
    expect(within(uploads).getByText('1.5 KiB')).toBeInTheDocument();
    expect(screen.getByTestId('erased-held-files.uploads')).toHaveTextContent('1');
    expect(screen.getByTestId('erased-kept-messaging.messages')).toHaveTextContent('3');
    expect(screen.getByTestId('erased-items-messaging.memberships')).toHaveTextContent('4');
    expect(screen.getByTestId('erased-items-total')).toHaveTextContent('6');
    expect(screen.getByTestId('erased-kept-total')).toHaveTextContent('4');
    expect(screen.getByTestId('deletion-preview-totals')).toHaveTextContent(
      'In all: 6 items removed (1.5 KiB), 4 kept on purpose, 1 kept by legal holds, 8 given to successors.',
    );
    expect(screen.getByTestId('deletion-preview-holds')).toHaveTextContent('Case 42');
    // What the count leaves out is said, not implied.
    expect(screen.getByText(/including a few small records this count leaves out/)).toBeInTheDocument();
  });

  it('says when nothing goes to a successor and no hold names the person', () => {
    renderUi(<DeletionPreviewView preview={{ ...preview, transferred: [], holds: [] }} />, { session: true });
    expect(screen.getByText('Nothing goes to a successor.')).toBeInTheDocument();
    expect(screen.queryByTestId('deletion-preview-transferred')).toBeNull();
    expect(screen.queryByTestId('deletion-preview-holds')).toBeNull();
  });

  it('sends the choices as the API takes them', () => {
    expect(deletionChoices('erase', 'u-x', null)).toEqual({ documents_to: null, rooms_to: null });
    expect(deletionChoices('company', null, 'u-bob')).toEqual({ documents_to: 'company', rooms_to: 'u-bob' });
    expect(deletionChoices('person', 'u-bob', null)).toEqual({ documents_to: 'u-bob', rooms_to: null });
  });
});

describe('the delete dialog', () => {
  afterEach(() => vi.restoreAllMocks());
  const dana = { id: 'u-dana', display_name: 'Dana Gone', status: 'active' } as Schemas['User'];
  const settings = { grace_days: 14, authored_messages: 'pseudonymise', sign_in_cancels: false };

  it('asks the server for the preview of the choices and shows it before the button works', async () => {
    const seen = stubApi({
      ...admin,
      'GET /settings/account-deletion': settings,
      'GET /users/{id}/deletion/preview': preview,
      'GET /users/{id}': { id: 'u-bob', display_name: 'Bob Heir' },
      'GET /users': { items: [], next_cursor: null },
    });
    renderUi(<DeleteDialog user={dana} opened onClose={() => {}} />, { session: true });
    await screen.findByTestId('deletion-preview-erased');
    const asked = seen.filter((s) => s.path === '/users/{id}/deletion/preview');
    expect(asked.at(-1)?.opts?.params).toEqual({ path: { id: 'u-dana' }, query: { documents_to: undefined, rooms_to: undefined } });
    // The words stay, and the button waits for the name only.
    expect(screen.getByTestId('deletion-consequences')).toHaveTextContent('grace period of 14 days');
    const button = screen.getByRole('button', { name: 'Delete' });
    expect(button).toBeDisabled();
    await userEvent.type(screen.getByLabelText(/Type/), 'Dana Gone');
    expect(button).toBeEnabled();
    // Another choice is another preview.
    await userEvent.click(screen.getByRole('combobox', { name: 'Documents of the personal space' }));
    await userEvent.click(await screen.findByRole('option', { name: 'Move to the company space', hidden: true }));
    await screen.findByTestId('deletion-preview-erased');
    expect(seen.filter((s) => s.path === '/users/{id}/deletion/preview').at(-1)?.opts?.params?.query).toEqual({
      documents_to: 'company',
      rooms_to: undefined,
    });
    // Documents to a person not chosen yet: no preview, no button.
    await userEvent.click(screen.getByRole('combobox', { name: 'Documents of the personal space' }));
    await userEvent.click(await screen.findByRole('option', { name: 'Move to a person', hidden: true }));
    expect(await screen.findByTestId('deletion-preview-waiting')).toBeInTheDocument();
    expect(screen.queryByTestId('deletion-preview')).toBeNull();
    expect(button).toBeDisabled();
  });

  it("shows a refused successor's detail and keeps the button off", async () => {
    stubApi({
      ...admin,
      'GET /settings/account-deletion': settings,
      'GET /users/{id}/deletion/preview': answer(422, {
        title: 'Validation failed',
        status: 422,
        detail: 'the successor must be another active account',
        code: 'validation_failed',
        field: 'rooms_to',
      }),
    });
    renderUi(<DeleteDialog user={dana} opened onClose={() => {}} />, { session: true });
    expect(await screen.findByRole('alert')).toHaveTextContent('the successor must be another active account');
    await userEvent.type(screen.getByLabelText(/Type/), 'Dana Gone');
    expect(screen.getByRole('button', { name: 'Delete' })).toBeDisabled();
    expect(screen.queryByTestId('deletion-preview')).toBeNull();
  });
});

describe('the erasure report', () => {
  afterEach(() => vi.restoreAllMocks());
  it('reads the typed lines: totals, what each feature removed, what went to whom', async () => {
    stubApi({ ...admin, 'GET /users/{id}': { id: 'u-bob', display_name: 'Bob Heir' } });
    const counts = { items: 4, rows: 5, blobs: 0, bytes: 2048, index_entries: 4, held: 0, kept: 3 };
    renderUi(
      <ErasureReportView
        report={{
          id: 'r1',
          deletion_id: 'd1',
          user_id: 'u-dana',
          pseudonym: 'Former member 7',
          requested_by: 'u-admin',
          requested_at: '2026-11-28T10:00:00Z',
          started_at: '2026-11-28T10:00:00Z',
          finished_at: '2026-11-28T10:00:01Z',
          transferred: [{ feature: 'messaging', what: 'rooms owned', items: 1, to: 'person:u-bob' }],
          erased: [{ feature: 'messaging', what: 'memberships', ...counts }],
          totals: counts,
        }}
      />,
      { session: true },
    );
    expect(screen.getByTestId('report-erased-items-messaging.memberships')).toHaveTextContent('4');
    expect(screen.getByTestId('report-erased-bytes-messaging.memberships')).toHaveTextContent('2 KiB');
    expect(screen.getByTestId('report-erased-kept-messaging.memberships')).toHaveTextContent('3');
    expect(screen.getByTestId('report-totals-rows')).toHaveTextContent('5');
    expect(await within(screen.getByTestId('report-transferred')).findByRole('link', { name: 'Bob Heir' })).toBeInTheDocument();
    expect(screen.getByTestId('report-erased-feature-messaging.memberships')).toHaveTextContent('Messaging');
  });
});
