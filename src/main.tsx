// Page entry: starts the engine in a worker (src/client.ts), creates the store around it and renders
// the app. Wiring only: no engine, gpu or core values here.

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { connect } from './client.ts';
import { App } from './ui/App.tsx';
import { createAppStore } from './ui/store.ts';
import './ui/app.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html must contain <div id="root">');

const { workbench } = connect();
const store = createAppStore(workbench);
createRoot(root).render(
  <StrictMode>
    <App store={store} />
  </StrictMode>,
);
