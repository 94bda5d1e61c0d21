import { Amplify } from 'aws-amplify';
import { createRoot } from 'react-dom/client';
import '@aws-amplify/ui-react/styles.css';

import App from './App.jsx';
// Written by `cognate push`: the user pool, its client, cognate's endpoint and the Admin Queries API.
import config from './amplify-config.json';

Amplify.configure(config);
createRoot(document.getElementById('root')).render(<App />);
