import { Amplify } from 'aws-amplify';
import { createRoot } from 'react-dom/client';
import '@aws-amplify/ui-react/styles.css';

import App from './App.jsx';
import Files from './Files.jsx';
import Items from './Items.jsx';
// Written by `cognate push`: the user pool, its client, the identity pool, cognate's endpoint, the
// Admin Queries API, the bucket with cognate's storage endpoint and the /items API.
import config from './amplify-config.json';

Amplify.configure(config);

function Guest() {
  return (
    <main style={{ fontFamily: 'sans-serif', padding: '2rem' }}>
      <h1>Hello guest</h1>
      <a href="./">Sign in</a>
      <Files canChange={false} />
      <Items />
    </main>
  );
}

const guest = new URLSearchParams(window.location.search).has('guest');
createRoot(document.getElementById('root')).render(guest ? <Guest /> : <App />);
