import {
  createTheme,
  darken,
  DEFAULT_THEME,
  Modal,
  MultiSelect,
  Notification,
  Select,
  TableScrollContainer,
  TagsInput,
  type CSSVariablesResolver,
} from '@mantine/core';

/** The theme; `labels` name icon-only buttons (close, clear) in the UI language. */
export function makeTheme(labels: { close: string; clear: string }) {
  const clearButtonProps = { 'aria-label': labels.clear };
  return createTheme({
    // Mantine's default blue fails colour contrast at its default shade (3.55:1): a darker one passes.
    primaryColor: 'blue',
    primaryShade: { light: 8, dark: 6 },
    autoContrast: true,
    // People who ask their system for less motion get no transitions.
    respectReducedMotion: true,
    fontFamily:
      'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif',
    components: {
      Modal: Modal.extend({ defaultProps: { closeButtonProps: { 'aria-label': labels.close } } }),
      Notification: Notification.extend({ defaultProps: { closeButtonProps: { 'aria-label': labels.close } } }),
      Select: Select.extend({ defaultProps: { clearButtonProps } }),
      MultiSelect: MultiSelect.extend({ defaultProps: { clearButtonProps } }),
      TagsInput: TagsInput.extend({ defaultProps: { clearButtonProps } }),
      // A table wider than the screen scrolls in a box the keyboard can reach (and scroll).
      TableScrollContainer: TableScrollContainer.extend({ defaultProps: { type: 'native', tabIndex: 0 } }),
    },
  });
}

const COLORS = ['red', 'green', 'orange', 'yellow', 'blue', 'gray', 'teal', 'cyan', 'grape', 'violet', 'pink', 'indigo', 'lime'];

// WCAG AA contrast (4.5:1 for small text) in the light scheme: "dimmed" text, the light variants'
// text (alerts, light badges) and the filled variants' backgrounds one or more shades darker
// than Mantine's defaults.
export const cssVariablesResolver: CSSVariablesResolver = () => {
  const light: Record<string, string> = { '--mantine-color-dimmed': 'var(--mantine-color-gray-7)' };
  for (const c of COLORS) {
    const nine = DEFAULT_THEME.colors[c][9];
    light[`--mantine-color-${c}-light-color`] = darken(nine, 0.4);
    light[`--mantine-color-${c}-text`] = darken(nine, 0.3);
    light[`--mantine-color-${c}-outline`] = darken(nine, 0.3);
    if (c !== 'blue' && c !== 'yellow') {
      light[`--mantine-color-${c}-filled`] = darken(nine, 0.2);
      light[`--mantine-color-${c}-filled-hover`] = darken(nine, 0.3);
    }
  }
  return { variables: {}, light, dark: {} };
};
