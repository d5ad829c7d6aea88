/*
** model.c: freeing and searching the plain C model of a methodology.
*/
#include "model.h"

#include <stdlib.h>
#include <string.h>

void model_free(model *m) {
  if (!m) return;
  free(m->file);
  free(m->name);
  free(m->version);
  free(m->unit_table);
  free(m->unit_id);
  free(m->unit_weight);
  free(m->unit_strata);
  free(m->unit_psu);
  free(m->unit_round);
  free(m->unit_year);
  for (int i = 0; i < m->ngroups; i++) {
    free(m->groups[i]);
    if (m->group_calc) free(m->group_calc[i].rule), free(m->group_calc[i].bins);
  }
  free(m->groups);
  free(m->group_calc);
  free(m->member_table);
  free(m->member_unit);
  for (int i = 0; i < m->nparams; i++) {
    free(m->params[i].name);
    free(m->params[i].text);
  }
  free(m->params);
  for (int i = 0; i < m->ndefines; i++) {
    free(m->defines[i].name);
    free(m->defines[i].expr);
  }
  free(m->defines);
  for (int i = 0; i < m->ndims; i++) {
    free(m->dims[i].id);
    free(m->dims[i].name);
  }
  free(m->dims);
  for (int i = 0; i < m->ninds; i++) {
    model_indicator *x = &m->inds[i];
    free(x->id);
    free(x->name);
    for (int c = 0; c < x->ncases; c++) free(x->cases[c].when);
    free(x->cases);
  }
  free(m->inds);
  for (int i = 0; i < m->nbands; i++) {
    free(m->bands[i].id);
    free(m->bands[i].name);
  }
  free(m->bands);
  for (int i = 0; i < m->nbenefits; i++) {
    model_benefit *x = &m->benefits[i];
    free(x->id);
    free(x->name);
    free(x->eligible);
    for (int j = 0; j < x->nnotices; j++) {
      free(x->notices[j].lang);
      free(x->notices[j].text);
    }
    free(x->notices);
  }
  free(m->benefits);
  for (int i = 0; i < m->nfiles; i++) {
    free(m->files[i].name);
    free(m->files[i].path);
    free(m->files[i].text);
  }
  free(m->files);
  free(m);
}

int model_find_indicator(const model *m, const char *id) {
  for (int i = 0; i < m->ninds; i++)
    if (strcmp(m->inds[i].id, id) == 0) return i;
  return -1;
}

int model_find_band(const model *m, const char *id) {
  for (int i = 0; i < m->nbands; i++)
    if (strcmp(m->bands[i].id, id) == 0) return i;
  return -1;
}

int model_find_param(const model *m, const char *name) {
  for (int i = 0; i < m->nparams; i++)
    if (strcmp(m->params[i].name, name) == 0) return i;
  return -1;
}
