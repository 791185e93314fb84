-- One database per component (DESIGN §2): services never read each other's tables.
CREATE DATABASE registry;
CREATE DATABASE funding;
CREATE DATABASE outreach;
CREATE DATABASE webhooks;
CREATE DATABASE gateway;
