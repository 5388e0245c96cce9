import { Button, Group } from '@mantine/core';
import { useTranslation } from 'react-i18next';

/** Cursor paging: the API returns `next_cursor`; the console keeps the trail to go back. */
export function Pager({
  hasPrev,
  next,
  onPrev,
  onNext,
}: {
  hasPrev: boolean;
  next: string | null | undefined;
  onPrev: () => void;
  onNext: (cursor: string) => void;
}) {
  const { t } = useTranslation();
  if (!hasPrev && !next) return null;
  return (
    <Group justify="flex-end" gap="xs">
      <Button variant="default" size="xs" disabled={!hasPrev} onClick={onPrev}>
        {t('common.prev')}
      </Button>
      <Button variant="default" size="xs" disabled={!next} onClick={() => next && onNext(next)}>
        {t('common.next')}
      </Button>
    </Group>
  );
}
