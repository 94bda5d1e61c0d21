// The storage page: the files under `public/` in the bucket `cognate push` made, with the rights
// of the caller's role. Signed in, a user may upload, download and delete as far as their group's
// policy allows; a guest (no sign-in, the identity pool's guest role) only lists and downloads.
import { useEffect, useState } from 'react';
import { downloadData, list, remove, uploadData } from 'aws-amplify/storage';

import config from './amplify-config.json';

// aws-amplify talks to S3 over https; cognate's storage endpoint is in the pushed config.
const options = { customEndpoint: config.cognate.storageEndpoint };

function describe(error) {
  return `Error: ${error.name}: ${error.message}`;
}

/** Saves a downloaded body as a file, as a browser does for a link with `download`. */
function save(name, blob) {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = name;
  link.click();
  URL.revokeObjectURL(link.href);
}

export default function Files({ canChange }) {
  const [items, setItems] = useState([]);
  const [status, setStatus] = useState('');

  async function refresh() {
    try {
      const { items } = await list({ path: 'public/', options });
      setItems(items.filter((item) => !item.path.endsWith('/')));
    } catch (error) {
      setStatus(describe(error));
    }
  }

  useEffect(() => {
    refresh();
  }, []);

  async function upload(event) {
    const file = event.target.files[0];
    event.target.value = '';
    if (!file) return;
    const path = `public/${file.name}`;
    try {
      await uploadData({ path, data: file, options: { ...options, contentType: file.type } }).result;
      setStatus(`Uploaded ${path}`);
      await refresh();
    } catch (error) {
      setStatus(describe(error));
    }
  }

  async function download(path) {
    try {
      const { body } = await downloadData({ path, options }).result;
      const blob = await body.blob();
      save(path.slice('public/'.length), blob);
      setStatus(`Downloaded ${path} (${blob.size} bytes)`);
    } catch (error) {
      setStatus(describe(error));
    }
  }

  async function erase(path) {
    try {
      await remove({ path, options });
      setStatus(`Deleted ${path}`);
      await refresh();
    } catch (error) {
      setStatus(describe(error));
    }
  }

  return (
    <section>
      <h2>Files</h2>
      {canChange && (
        <label>
          Upload a file <input type="file" aria-label="Upload a file" onChange={upload} />
        </label>
      )}
      <ul data-testid="files">
        {items.map((item) => (
          <li key={item.path}>
            {item.path.slice('public/'.length)} ({item.size} bytes){' '}
            <button onClick={() => download(item.path)} aria-label={`Download ${item.path}`}>
              Download
            </button>
            {canChange && (
              <>
                {' '}
                <button onClick={() => erase(item.path)} aria-label={`Delete ${item.path}`}>
                  Delete
                </button>
              </>
            )}
          </li>
        ))}
      </ul>
      {items.length === 0 && <p>No files yet.</p>}
      <p data-testid="files-status">{status}</p>
    </section>
  );
}
