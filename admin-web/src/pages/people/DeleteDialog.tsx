import { List, Select, Stack, Text, Textarea } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call, idem, type Schemas } from '../../api/client';
import { Confirm } from '../../components/Confirm';
import { formatDateTime } from '../../format';
import { DeletionPreviewView } from './DeletionPreview';
import { PersonPicker } from './PersonPicker';

/** The deletion's successors as the API takes them: documents to the company, a person or erased. */
export function deletionChoices(docs: string, docsTo: string | null, roomsTo: string | null) {
  return {
    documents_to: docs === 'company' ? 'company' : docs === 'person' ? docsTo : null,
    rooms_to: roomsTo,
  };
}

/**
 * Deleting a person: the consequences are spelt out before the button works (disabled now, erased
 * after the grace period, where documents and rooms go, what happens to their messages), and the
 * server's count of what the current choices would transfer, remove, keep and hold
 * (`GET /users/{id}/deletion/preview`, asked again whenever a choice changes).
 */
export function DeleteDialog({ user, opened, onClose }: { user: Schemas['User']; opened: boolean; onClose: () => void }) {
  const { t, i18n } = useTranslation();
  const qc = useQueryClient();
  const [docs, setDocs] = useState<string>('erase');
  const [docsTo, setDocsTo] = useState<string | null>(null);
  const [roomsTo, setRoomsTo] = useState<string | null>(null);
  const [reason, setReason] = useState('');
  const [openedAt] = useState(() => Date.now());
  const settings = useQuery({
    queryKey: ['settings', 'account-deletion'],
    enabled: opened,
    queryFn: () => call(api.GET('/settings/account-deletion')),
    retry: false,
  });
  const choices = deletionChoices(docs, docsTo, roomsTo);
  // Documents to a person who is not chosen yet: nothing to preview (nor to confirm) until they are.
  const unchosen = docs === 'person' && !docsTo;
  const preview = useQuery({
    queryKey: ['deletion', user.id, 'preview', choices],
    enabled: opened && !unchosen,
    retry: false,
    queryFn: () =>
      call(
        api.GET('/users/{id}/deletion/preview', {
          params: {
            path: { id: user.id },
            query: { documents_to: choices.documents_to ?? undefined, rooms_to: choices.rooms_to ?? undefined },
          },
        }),
      ),
  });
  const m = useMutation({
    mutationFn: () =>
      call(
        api.POST('/users/{id}/deletion', {
          params: { path: { id: user.id } },
          body: { ...choices, reason },
          headers: idem(),
        }),
      ),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['users'] });
      void qc.invalidateQueries({ queryKey: ['deletions'] });
      void qc.invalidateQueries({ queryKey: ['deletion', user.id] });
      onClose();
    },
  });
  const grace = settings.data?.grace_days;
  const eraseAt = grace !== undefined ? new Date(openedAt + grace * 86_400_000).toISOString() : undefined;
  const lang = i18n.resolvedLanguage ?? 'en';
  return (
    <Confirm
      opened={opened}
      onClose={onClose}
      title={t('deletion.title', { name: user.display_name })}
      confirmLabel={t('deletion.confirm')}
      onConfirm={() => m.mutate()}
      pending={m.isPending}
      error={m.error}
      typeToConfirm={user.display_name}
      previewLoading={!unchosen && preview.isFetching}
      previewError={unchosen ? undefined : preview.error}
      blocked={unchosen}
    >
      <Stack gap="xs">
        <Text size="sm" fw={600}>
          {t('deletion.consequences')}
        </Text>
        <List size="sm" data-testid="deletion-consequences">
          <List.Item>{t('deletion.cDisabled')}</List.Item>
          <List.Item>
            {grace !== undefined
              ? t('deletion.cErased', { days: grace, at: formatDateTime(eraseAt, lang) })
              : t('deletion.cErasedUnknown')}
          </List.Item>
          <List.Item>
            {docs === 'erase' ? t('deletion.cDocsErased') : docs === 'company' ? t('deletion.cDocsCompany') : t('deletion.cDocsPerson')}
          </List.Item>
          <List.Item>{roomsTo ? t('deletion.cRoomsPerson') : t('deletion.cRoomsMember')}</List.Item>
          {settings.data && (
            <List.Item>
              {settings.data.authored_messages === 'delete' ? t('deletion.cMessagesDeleted') : t('deletion.cMessagesPseudonym')}
            </List.Item>
          )}
        </List>
        <Select
          label={t('deletion.documents')}
          data={[
            { value: 'erase', label: t('deletion.docsErase') },
            { value: 'company', label: t('deletion.docsCompany') },
            { value: 'person', label: t('deletion.docsPerson') },
          ]}
          value={docs}
          onChange={(v) => setDocs(v ?? 'erase')}
          allowDeselect={false}
        />
        {docs === 'person' && (
          <PersonPicker label={t('deletion.docsTo')} value={docsTo} onChange={setDocsTo} exclude={user.id} />
        )}
        <PersonPicker
          label={t('deletion.roomsTo')}
          placeholder={t('deletion.roomsAnyMember')}
          value={roomsTo}
          onChange={setRoomsTo}
          exclude={user.id}
        />
        <Textarea label={t('deletion.reason')} value={reason} onChange={(e) => setReason(e.currentTarget.value)} maxLength={1000} />
        {unchosen && (
          <Text size="sm" c="dimmed" data-testid="deletion-preview-waiting">
            {t('deletionPreview.choosePerson')}
          </Text>
        )}
        {!unchosen && preview.data && !preview.isFetching && <DeletionPreviewView preview={preview.data} />}
      </Stack>
    </Confirm>
  );
}
