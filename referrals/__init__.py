"""Patients, referrals, bookings and the six-month pathway."""
