import { Button, Group, Modal, Stack, Table, Text, TextInput } from '@mantine/core';
import { useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Loading } from './Loading';
import { ProblemAlert } from './ProblemAlert';

/** One previewed consequence of an action: what is affected and how much. */
export interface Consequence {
  label: ReactNode;
  value: ReactNode;
  testId?: string;
}

/**
 * A destructive action's confirmation: shows the previewed consequences (`consequences`, asked
 * from the server before; `previewLoading`/`previewError` while it answers) and, for the gravest
 * actions, asks the admin to type a word before the button works. The button waits for the
 * preview: nobody confirms what they have not been shown.
 */
export function Confirm({
  opened,
  onClose,
  title,
  children,
  consequences,
  previewLoading,
  previewError,
  confirmLabel,
  onConfirm,
  pending,
  error,
  typeToConfirm,
  blocked,
  color = 'red',
}: {
  opened: boolean;
  onClose: () => void;
  title: string;
  children?: ReactNode;
  consequences?: Consequence[];
  previewLoading?: boolean;
  previewError?: unknown;
  confirmLabel: string;
  onConfirm: () => void;
  pending?: boolean;
  error?: unknown;
  typeToConfirm?: string;
  /** Something the dialog asks for is missing: the button waits (the dialog says what). */
  blocked?: boolean;
  color?: string;
}) {
  const { t } = useTranslation();
  const [typed, setTyped] = useState('');
  const ok = (!typeToConfirm || typed.trim() === typeToConfirm) && !previewLoading && !previewError && !blocked;
  return (
    <Modal opened={opened} onClose={onClose} title={title} centered size="lg">
      <Stack>
        {children}
        {previewLoading && <Loading />}
        <ProblemAlert error={previewError} />
        {consequences && consequences.length > 0 && (
          <Table withTableBorder aria-label={t('common.consequences')} data-testid="consequences">
            <Table.Tbody>
              {consequences.map((c, i) => (
                <Table.Tr key={i}>
                  <Table.Td>{c.label}</Table.Td>
                  <Table.Td ta="right" data-testid={c.testId}>
                    <Text size="sm" fw={600} span>
                      {c.value}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        {typeToConfirm && (
          <TextInput
            label={t('common.typeToConfirm', { word: typeToConfirm })}
            value={typed}
            onChange={(e) => setTyped(e.currentTarget.value)}
            data-autofocus
          />
        )}
        <ProblemAlert error={error} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button color={color} onClick={onConfirm} loading={pending} disabled={!ok}>
            {confirmLabel}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
