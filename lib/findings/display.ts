// Markdown output for notebook cells (the closing narratives): one display_data with text/markdown,
// which Jupyter, GitHub and nbconvert render, and the same text as text/plain for terminals.
import { displayBundle } from '../plot';

export function showMarkdown(markdown: string): void {
  if (!displayBundle({ 'text/markdown': markdown, 'text/plain': markdown })) process.stdout.write(`${markdown}\n`);
}
