'use client';

import { useQuery } from '@tanstack/react-query';
import { type JSX, useState } from 'react';
import { useTRPC } from '@/app/_trpc/client';
import type { RouterOutputs } from '@/app/_trpc/types';
import { buttonClasses } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { cn } from '@/components/ui/cn';
import { describeBytes, plural } from '@/server/export/domain/export-status';

type FileTree = RouterOutputs['exports']['files'];
type TreeNode = FileTree['children'][number];
type FileNode = Extract<TreeNode, { kind: 'file' }>;

/** How a file can be shown in the preview pane. */
type PreviewKind = 'page' | 'image' | 'text' | 'none';

const PREVIEW_BY_EXTENSION: Record<string, PreviewKind> = {
  md: 'page',
  html: 'page',
  htm: 'page',
  txt: 'text',
  csv: 'text',
  json: 'text',
  png: 'image',
  jpg: 'image',
  jpeg: 'image',
  gif: 'image',
  webp: 'image',
  avif: 'image',
  svg: 'image',
};

const previewKindOf = (name: string): PreviewKind => PREVIEW_BY_EXTENSION[name.split('.').pop()?.toLowerCase() ?? ''] ?? 'none';

/** The file route's address for `path` (each segment encoded; `/` kept between them). */
function fileUrl(exportId: string, path: string, preview: boolean): string {
  const encoded = path.split('/').map(encodeURIComponent).join('/');
  return `/api/exports/${encodeURIComponent(exportId)}/files/${encoded}${preview ? '?view=preview' : ''}`;
}

/**
 * The export's files as a tree (folders first, with sizes), and a preview of the one chosen:
 * Markdown rendered, HTML pages, text and images, in a sandboxed frame (nothing in it can run).
 * Folders and files are buttons, so the tree is walked with Tab and opened with Enter or Space.
 */
export function ExportFiles({ exportId, live }: { exportId: string; live: boolean }) {
  const trpc = useTRPC();
  // While the export writes files, the tree follows every few seconds.
  const files = useQuery(trpc.exports.files.queryOptions({ id: exportId }, { refetchInterval: live ? 5_000 : false }));
  const [selected, setSelected] = useState<FileNode | null>(null);

  let body: JSX.Element;
  if (files.isPending) body = <p className="text-sm text-slate-500">Loading files…</p>;
  else if (files.isError) {
    body = (
      <p role="alert" className="text-sm text-red-700">
        Could not load the files: {files.error.message}
      </p>
    );
  } else if (!files.data.available) body = <p className="text-sm text-slate-500">The files of this export are no longer on this server.</p>;
  else if (files.data.children.length === 0) body = <p className="text-sm text-slate-500">No files written yet.</p>;
  else {
    body = (
      <div className="grid grid-cols-1 gap-4 lg:grid-cols-5">
        <div className="min-w-0 lg:col-span-2">
          <ul aria-label="Files of the export" className="max-h-[32rem] overflow-auto text-sm">
            {files.data.children.map((node) => (
              <TreeItem key={node.path} node={node} depth={0} selected={selected?.path ?? null} onSelect={setSelected} />
            ))}
          </ul>
          {files.data.leftOut > 0 && (
            <p className="mt-2 text-xs text-slate-500">{plural(files.data.leftOut, 'more file')} not listed here; the zip has them all.</p>
          )}
        </div>
        <div className="min-w-0 lg:col-span-3">
          <FilePreview exportId={exportId} file={selected} />
        </div>
      </div>
    );
  }

  return (
    <Card
      title="Files"
      description={files.data?.available ? `${plural(files.data.files, 'file')}, ${describeBytes(files.data.bytes)}. Choose one to preview it.` : undefined}
    >
      {body}
    </Card>
  );
}

function TreeItem({
  node,
  depth,
  selected,
  onSelect,
}: {
  node: TreeNode;
  depth: number;
  selected: string | null;
  onSelect: (file: FileNode) => void;
}) {
  const [open, setOpen] = useState(false);
  const indent = { paddingLeft: `${0.25 + depth * 1}rem` };
  if (node.kind === 'folder') {
    return (
      <li>
        <button
          type="button"
          aria-expanded={open}
          onClick={() => setOpen((o) => !o)}
          className="flex w-full items-center gap-2 rounded-md py-1.5 pr-2 text-left text-slate-800 hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-slate-500"
          style={indent}
        >
          <span aria-hidden="true" className="w-3 shrink-0 text-slate-500">
            {open ? '▾' : '▸'}
          </span>
          <span className="min-w-0 flex-1 truncate font-medium" title={node.name}>
            {node.name}
          </span>
          <span className="shrink-0 text-xs text-slate-500 tabular-nums">{describeBytes(node.bytes)}</span>
        </button>
        {open && (
          <ul aria-label={`Files in ${node.name}`}>
            {node.children.map((child) => (
              <TreeItem key={child.path} node={child} depth={depth + 1} selected={selected} onSelect={onSelect} />
            ))}
          </ul>
        )}
      </li>
    );
  }
  const current = selected === node.path;
  return (
    <li>
      <button
        type="button"
        aria-pressed={current}
        onClick={() => onSelect(node)}
        className={cn(
          'flex w-full items-center gap-2 rounded-md py-1.5 pr-2 text-left hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-slate-500',
          current ? 'bg-slate-100 font-medium text-slate-900' : 'text-slate-700',
        )}
        style={indent}
      >
        <span aria-hidden="true" className="w-3 shrink-0" />
        <span className="min-w-0 flex-1 truncate" title={node.name}>
          {node.name}
        </span>
        <span className="shrink-0 text-xs text-slate-500 tabular-nums">{describeBytes(node.bytes)}</span>
      </button>
    </li>
  );
}

function FilePreview({ exportId, file }: { exportId: string; file: FileNode | null }) {
  if (!file) {
    return (
      <div className="flex h-full min-h-40 items-center justify-center rounded-lg bg-slate-50 p-6 text-center text-sm text-slate-500 ring-1 ring-inset ring-slate-200">
        Choose a file to preview it here.
      </div>
    );
  }
  const kind = previewKindOf(file.name);
  const raw = fileUrl(exportId, file.path, false);
  // Pages rendered, text as text; images and the rest as they are.
  const shown = kind === 'page' || kind === 'text' ? fileUrl(exportId, file.path, true) : raw;
  return (
    <div className="space-y-2">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <p className="min-w-0 truncate text-sm font-medium text-slate-900" title={file.path}>
          {file.path}
        </p>
        <div className="flex gap-2">
          <a href={shown} target="_blank" rel="noopener" className={buttonClasses({ variant: 'secondary', size: 'sm' })}>
            Open in a new tab
          </a>
          <a href={raw} download={file.name} className={buttonClasses({ variant: 'secondary', size: 'sm' })}>
            Download
          </a>
        </div>
      </div>
      {kind === 'none' ? (
        <p className="rounded-lg bg-slate-50 p-6 text-center text-sm text-slate-500 ring-1 ring-inset ring-slate-200">
          No preview for this kind of file ({describeBytes(file.bytes)}).
        </p>
      ) : (
        <iframe
          key={file.path}
          title={`Preview of ${file.name}`}
          src={shown}
          // No permission at all: no script, no same-origin access, no forms, no pop-ups.
          sandbox=""
          referrerPolicy="no-referrer"
          className="h-[60vh] min-h-80 w-full rounded-lg bg-white ring-1 ring-slate-200"
        />
      )}
    </div>
  );
}
