// The /items page: a REST API that `cognate add api` put behind the gateway. Admins may add and
// list items, editors only list, guests nothing; the gateway decides each call on the caller's
// role (aws-amplify signs it with the identity pool's credentials) before the items service sees it.
import { useState } from 'react';
import { get, post } from 'aws-amplify/api';

function describe(error) {
  return `Error: ${error.name}: ${error.message}`;
}

export default function Items() {
  const [name, setName] = useState('');
  const [status, setStatus] = useState('');

  async function add() {
    try {
      const response = await post({ apiName: 'itemsApi', path: '/items', options: { body: { name } } }).response;
      const { added, by } = await response.body.json();
      setStatus(`Added ${added} (by ${by})`);
      setName('');
    } catch (error) {
      setStatus(describe(error));
    }
  }

  async function show() {
    try {
      const response = await get({ apiName: 'itemsApi', path: '/items' }).response;
      const { items } = await response.body.json();
      setStatus(`Items: ${items.map((i) => i.name).join(', ') || '(none)'}`);
    } catch (error) {
      setStatus(describe(error));
    }
  }

  return (
    <section>
      <h2>Items</h2>
      <input aria-label="Item name" value={name} onChange={(event) => setName(event.target.value)} />{' '}
      <button onClick={add}>Add item</button> <button onClick={show}>List items</button>
      <p data-testid="items-status">{status}</p>
    </section>
  );
}
