// The app of Amplify's announcement of user pool groups and Admin Queries: an admin adds a user
// to `editors` and lists the editors, page by page; below, the files of the storage the groups'
// roles open (admins change them, editors read them), and the /items API behind the gateway (admins
// add and list, editors list). Guests browse the public files at `?guest`.
import { useState } from 'react';
import { withAuthenticator } from '@aws-amplify/ui-react';
import { get, post } from 'aws-amplify/api';
import { fetchAuthSession } from 'aws-amplify/auth';

import Files from './Files.jsx';
import Items from './Items.jsx';

async function headers() {
  const { tokens } = await fetchAuthSession();
  return { 'Content-Type': 'application/json', Authorization: tokens.accessToken.toString() };
}

async function describe(error) {
  try {
    return JSON.parse(error.response.body).message;
  } catch {
    return error.message;
  }
}

function App({ signOut, user }) {
  const [result, setResult] = useState('');
  const [nextToken, setNextToken] = useState(undefined);

  async function addToGroup() {
    try {
      const response = await post({
        apiName: 'AdminQueries',
        path: '/addUserToGroup',
        options: { body: { username: 'awesomeeditor', groupname: 'editors' }, headers: await headers() },
      }).response;
      setResult((await response.body.json()).message);
    } catch (error) {
      setResult(`Error: ${await describe(error)}`);
    }
  }

  async function listEditors(limit) {
    try {
      const queryParams = { groupname: 'editors', limit: String(limit) };
      if (nextToken) queryParams.token = nextToken;
      const response = await get({ apiName: 'AdminQueries', path: '/listUsersInGroup', options: { queryParams, headers: await headers() } })
        .response;
      const page = await response.body.json();
      setNextToken(page.NextToken);
      setResult(`Editors: ${page.Users.map((u) => u.Username).join(', ') || '(none)'}`);
    } catch (error) {
      setResult(`Error: ${await describe(error)}`);
    }
  }

  return (
    <main style={{ fontFamily: 'sans-serif', padding: '2rem' }}>
      <h1>Hello {user.username}</h1>
      <button onClick={addToGroup}>Add to Group</button>{' '}
      <button onClick={() => listEditors(10)}>List Editors</button>{' '}
      <button onClick={signOut}>Sign out</button>
      <p data-testid="result">{result}</p>
      <Files canChange />
      <Items />
    </main>
  );
}

function GuestLink() {
  return (
    <p style={{ textAlign: 'center' }}>
      <a href="?guest">Browse the public files without signing in</a>
    </p>
  );
}

export default withAuthenticator(App, { components: { Footer: GuestLink } });
